use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        /// Row identifier; a distinct type so one kind of id cannot stand in for another.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub i64);

        #[cfg(feature = "schema")]
        impl specta::Type for $name {
            fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
                // A TypeScript `number`: ids are far below 2^53 (the desktop's DTOs check it).
                <i32 as specta::Type>::definition(types)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl rusqlite::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                i64::column_result(v).map($name)
            }
        }
    )*};
}

id_type!(
    TeamMemberId,
    AccountId,
    ContactId,
    PipelineId,
    StageId,
    DealId,
    ActivityId,
    OnboardingPlanId,
    QbrId,
    PartnerId,
    CommissionPlanId,
    RegistrationId,
    RevenueEventId,
    LedgerEntryId,
    StatementId,
    ImportBatchId,
    AccountMergeId,
    PartnerUserId,
);
