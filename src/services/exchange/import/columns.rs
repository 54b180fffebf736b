//! Which column holds which field: the column names of Keel's own export and of
//! Salesforce, HubSpot and Pipedrive exports, recognized without any mapping, and
//! `--map` to override or extend them.

use super::values::words;
use crate::domain::{ImportKind, SourceSystem};
use crate::{KeelError, Result};
use serde::Serialize;
use std::collections::HashMap;

/// A field an import fills. Its name is what `--map 'Column=field'` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    ExternalId,
    Name,
    FirstName,
    LastName,
    Email,
    Title,
    Account,
    AccountDomain,
    Domain,
    Segment,
    Vertical,
    Region,
    Owner,
    Stage,
    Product,
    Status,
    IsClosed,
    IsWon,
    Amount,
    Currency,
    Probability,
    CloseDate,
    ExpectedCloseDate,
    ClosedOn,
    WonDate,
    LostDate,
    CreatedDate,
    ModifiedDate,
    Source,
    DealType,
    LossReason,
    ProbabilityOverride,
    ForecastOverride,
    StageHistory,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Email => "email",
            Field::Title => "title",
            Field::Account => "account",
            Field::AccountDomain => "account_domain",
            Field::Domain => "domain",
            Field::Segment => "segment",
            Field::Vertical => "vertical",
            Field::Region => "region",
            Field::Owner => "owner",
            Field::Stage => "stage",
            Field::Product => "product",
            Field::Status => "status",
            Field::IsClosed => "is_closed",
            Field::IsWon => "is_won",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::Probability => "probability",
            Field::CloseDate => "close_date",
            Field::ExpectedCloseDate => "expected_close_date",
            Field::ClosedOn => "closed_on",
            Field::WonDate => "won_date",
            Field::LostDate => "lost_date",
            Field::CreatedDate => "created_date",
            Field::ModifiedDate => "modified_date",
            Field::Source => "source",
            Field::DealType => "type",
            Field::LossReason => "loss_reason",
            Field::ProbabilityOverride => "probability_override",
            Field::ForecastOverride => "forecast_override",
            Field::StageHistory => "stage_history",
        }
    }
}

/// The fields each kind of import takes, and the column names that mean each one
/// (compared as lower-case words). A field's own name always works too.
fn aliases(kind: ImportKind) -> &'static [(Field, &'static [&'static str])] {
    use Field::*;
    match kind {
        ImportKind::Deals => &[
            (ExternalId, &["opportunity id", "record id", "deal id", "id"]),
            (Name, &["opportunity name", "deal name", "deal title", "title", "deal"]),
            (
                Account,
                &[
                    "account name",
                    "associated company",
                    "associated company primary",
                    "deal organization",
                    "organization",
                    "organization name",
                    "company",
                    "company name",
                    "account",
                ],
            ),
            (
                AccountDomain,
                &["website", "company domain name", "account domain", "domain", "account website"],
            ),
            (
                Owner,
                &["opportunity owner", "deal owner", "deal owner name", "owner name", "owner", "sales agent"],
            ),
            (Stage, &["stage", "deal stage", "stage name", "stagename"]),
            (Product, &["product", "product name", "products"]),
            (Status, &["deal status", "status"]),
            (IsClosed, &["isclosed", "is closed", "is deal closed"]),
            (IsWon, &["iswon", "is won", "is closed won"]),
            (Amount, &["amount", "deal value", "value", "close value"]),
            (
                Currency,
                &[
                    "amount currency",
                    "opportunity currency",
                    "deal currency",
                    "deal currency of value",
                    "currency",
                    "currency code",
                    "currencyisocode",
                ],
            ),
            (Probability, &["probability", "deal probability"]),
            (CloseDate, &["close date", "closedate"]),
            (ExpectedCloseDate, &["deal expected close date", "expected close date"]),
            (ClosedOn, &["deal close time", "close time", "closed on", "actual close date"]),
            (WonDate, &["deal won time", "won time", "won date"]),
            (LostDate, &["deal lost time", "lost time", "lost date"]),
            (
                CreatedDate,
                &[
                    "created date",
                    "create date",
                    "deal deal created",
                    "deal created",
                    "created",
                    "created at",
                    "createddate",
                    "engage date",
                ],
            ),
            (ModifiedDate, &["last modified date", "lastmodifieddate", "deal update time", "update time"]),
            (Source, &["lead source", "source", "deal source", "original source", "leadsource"]),
            (DealType, &["type", "deal type", "opportunity type"]),
            (LossReason, &["loss reason", "closed lost reason", "deal lost reason", "lost reason"]),
            (ProbabilityOverride, &[]),
            (ForecastOverride, &[]),
            (StageHistory, &[]),
            (Segment, &["account segment"]),
        ],
        ImportKind::Accounts => &[
            (ExternalId, &["account id", "record id", "organization id", "company id", "id"]),
            (Name, &["account name", "company name", "organization name", "company", "organization"]),
            (Domain, &["website", "company domain name", "organization website", "web site"]),
            (Segment, &["account segment"]),
            (Vertical, &["industry", "organization industry"]),
            (
                Region,
                &["billing country", "country region", "country", "organization country", "billing region"],
            ),
            (CreatedDate, &["created date", "create date", "organization add time", "created", "created at"]),
        ],
        ImportKind::Contacts => &[
            (ExternalId, &["contact id", "record id", "person id", "id"]),
            (Name, &["full name", "contact name", "person name"]),
            (FirstName, &["first name"]),
            (LastName, &["last name"]),
            (Email, &["email", "email address", "person email", "person email work", "work email"]),
            (Title, &["title", "job title", "person job title"]),
            (
                Account,
                &[
                    "account name",
                    "associated company",
                    "associated company primary",
                    "company name",
                    "person organization",
                    "organization",
                    "company",
                    "account",
                ],
            ),
            (AccountDomain, &["account domain", "company domain name", "website"]),
            (CreatedDate, &["created date", "create date", "person add time", "created", "created at"]),
        ],
    }
}

/// Column names that give a file's origin away.
fn detect_system(kind: ImportKind, headers: &[String]) -> SourceSystem {
    let raw: Vec<String> = headers.iter().map(|h| h.trim().to_lowercase()).collect();
    let own_names: Vec<&str> =
        aliases(kind).iter().map(|(f, _)| f.name()).chain(["id", "created_at"]).collect();
    if raw.iter().any(|h| h == "id")
        && raw.iter().filter(|h| !h.is_empty()).all(|h| own_names.contains(&h.as_str()))
    {
        SourceSystem::Keel
    } else if headers.iter().any(|h| super::pipedrive_headers::is_pipedrive(h)) {
        SourceSystem::Pipedrive
    } else if raw.iter().any(|h| {
        matches!(h.as_str(), "record id" | "deal stage" | "create date" | "is deal closed?")
            || h.starts_with("associated company")
    }) {
        SourceSystem::Hubspot
    } else if raw.iter().any(|h| {
        h.starts_with("opportunity ")
            || matches!(h.as_str(), "account id" | "contact id" | "lead source" | "stagename" | "iswon")
    }) {
        SourceSystem::Salesforce
    } else {
        SourceSystem::Generic
    }
}

/// Where each field is in a row, and what `--map` said about values.
#[derive(Debug, Clone)]
pub struct Columns {
    pub system: SourceSystem,
    index: HashMap<Field, usize>,
    /// Per column: the field it fills, if any (for the report).
    pub uses: Vec<ColumnUse>,
    /// `--map 'stage:Label=Stage'` and the like, keyed by (field, label words).
    pub value_maps: HashMap<(Field, String), String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ColumnUse {
    pub column: String,
    /// `None`: the column is ignored.
    pub field: Option<String>,
}

/// Column names for Keel's own rejects file: ignored on re-import.
pub const REJECT_REASON_COLUMN: &str = "Keel reject reason";
pub const REJECT_LINE_COLUMN: &str = "Keel line";

impl Columns {
    pub fn resolve(kind: ImportKind, headers: &[String], maps: &[String]) -> Result<Columns> {
        let system = detect_system(kind, headers);
        let table = aliases(kind);
        let field_named = |name: &str| -> Option<Field> {
            let wanted = words(name);
            table.iter().map(|(f, _)| *f).find(|f| words(f.name()) == wanted)
        };
        let mut column_maps: HashMap<String, Option<Field>> = HashMap::new();
        let mut value_maps = HashMap::new();
        for map in maps {
            let (left, right) = map.split_once('=').ok_or_else(|| {
                KeelError::invalid("map", format!("'{map}' is not COLUMN=FIELD (or stage:LABEL=STAGE)"))
            })?;
            if let Some((target, label)) = left.split_once(':').filter(|(t, _)| {
                ["stage", "source", "type", "segment", "status"].contains(&t.trim().to_lowercase().as_str())
            }) {
                let field = field_named(target).ok_or_else(|| {
                    KeelError::invalid("map", format!("'{target}' values cannot be mapped for {kind}"))
                })?;
                value_maps.insert((field, words(label)), right.trim().to_string());
                continue;
            }
            let column = words(left);
            if !headers.iter().any(|h| words(h) == column) {
                return Err(KeelError::invalid(
                    "map",
                    format!("the file has no column '{}' (its columns: {})", left.trim(), headers.join(", ")),
                ));
            }
            let field = match right.trim() {
                "" => None,
                name => Some(field_named(name).ok_or_else(|| {
                    let names: Vec<&str> = table.iter().map(|(f, _)| f.name()).collect();
                    KeelError::invalid(
                        "map",
                        format!("'{name}' is not a {kind} field (one of: {})", names.join(", ")),
                    )
                })?),
            };
            column_maps.insert(column, field);
        }
        let mut index = HashMap::new();
        let mut uses = Vec::with_capacity(headers.len());
        for (i, header) in headers.iter().enumerate() {
            let said = words(header);
            let english = super::pipedrive_headers::in_english(header);
            let ignored_by_keel = said == words(REJECT_REASON_COLUMN) || said == words(REJECT_LINE_COLUMN);
            let field = match column_maps.get(&said) {
                Some(mapped) => *mapped,
                None if ignored_by_keel => None,
                None => table
                    .iter()
                    .find(|(f, names)| {
                        let named = |w: &str| words(f.name()) == w || names.contains(&w);
                        named(&said) || english.as_deref().is_some_and(named)
                    })
                    .map(|(f, _)| *f)
                    .filter(|f| !index.contains_key(f)),
            };
            if let Some(field) = field {
                if let Some(earlier) = index.insert(field, i) {
                    return Err(KeelError::invalid(
                        "map",
                        format!(
                            "columns '{}' and '{header}' both map to {}; map one of them to something else \
                             or ignore it with --map '{header}='",
                            headers[earlier],
                            field.name()
                        ),
                    ));
                }
            }
            uses.push(ColumnUse { column: header.clone(), field: field.map(|f| f.name().to_string()) });
        }
        let columns = Columns { system, index, uses, value_maps };
        columns.require(kind)?;
        Ok(columns)
    }

    fn require(&self, kind: ImportKind) -> Result<()> {
        let needs: &[&[Field]] = match kind {
            // A deal without a name column is named from its account and product, or its
            // id; one without a company column is kept with no account (HubSpot's default
            // view has none). An amount column says the file is about deals, even when
            // many of its cells are blank.
            ImportKind::Deals => {
                &[&[Field::Name, Field::ExternalId, Field::Product, Field::Account], &[Field::Amount]]
            }
            ImportKind::Accounts => &[&[Field::Name]],
            ImportKind::Contacts => &[&[Field::Email], &[Field::Name, Field::FirstName, Field::LastName]],
        };
        for alternatives in needs {
            if !alternatives.iter().any(|f| self.index.contains_key(f)) {
                let wanted = alternatives[0];
                let known: Vec<String> = aliases(kind)
                    .iter()
                    .find(|(f, _)| *f == wanted)
                    .map(|(_, names)| names.iter().take(3).map(|n| format!("'{n}'")).collect())
                    .unwrap_or_default();
                return Err(KeelError::invalid(
                    "file",
                    format!(
                        "no column holds the {kind} {}: expected one named {}{}, or map a column to {}",
                        wanted.name(),
                        wanted.name(),
                        if known.is_empty() { String::new() } else { format!(" or {}", known.join(", ")) },
                        wanted.name()
                    ),
                ));
            }
        }
        Ok(())
    }

    pub fn has(&self, field: Field) -> bool {
        self.index.contains_key(&field)
    }

    /// The trimmed cell for `field`, or `None` when the column is absent or the cell blank.
    pub fn get<'r>(&self, cells: &'r [String], field: Field) -> Option<&'r str> {
        let i = *self.index.get(&field)?;
        let cell = crate::files::unguard_formula(cells.get(i)?.trim());
        (!cell.is_empty()).then_some(cell)
    }

    pub fn mapped_value(&self, field: Field, label: &str) -> Option<&str> {
        self.value_maps.get(&(field, words(label))).map(String::as_str)
    }
}
